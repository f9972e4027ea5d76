/* model_int.h - internals shared by the files of model/: the exported pruning model (export.c
 * writes it, model.c reads it and judges files with it). */
#ifndef SCIPRUNE_MODEL_INT_H
#define SCIPRUNE_MODEL_INT_H

#include "../rank/rank.h"
#include "../shard/sp_npy.h"
#include "../shard/sp_workdir.h"

#include <jansson.h>
#include <math.h>

/* Folder layout of a model (relative to its root). */
#define MODEL_JSON "model.json"
#define MODEL_EMBED_DIR "embed"          /* embedder.json, idf.npy (sciprune_embedder_load) */
#define MODEL_CENTROIDS "centroids.npy"  /* float32 k x d */
#define MODEL_FORMAT "sciprune-model"

/* Distance margin around a cut within which training records are stored by identity (the
 * batch's matrix product and one vector's dot product may differ in the last bits). */
#define MODEL_NEAR_EPS 1e-5

/* The learned value's margin around a cut within which training records are stored by
 * identity: the judge's distance may differ from the workdir's in the last bits (MODEL_NEAR_EPS
 * below), scaled by its weight, plus the float rounding of z. */
static inline double model_learned_eps(double w_distance)
{
    return MODEL_NEAR_EPS * (fabs(w_distance) + 1.0);
}

/* A JSON string's value, or `dflt` when v is not a string. */
static inline const char *model_str(const json_t *v, const char *dflt)
{
    const char *s = json_string_value(v);
    return s ? s : dflt;
}

/* The text hash that identifies a training record near a cut (with its id). */
uint64_t model_text_hash(const char *text, size_t len);

/* Order names in model.json: "size", "distance", "random", "length", "distance-pc" (rank_order
 * values); NULL for an unknown order, -1 from the parser. */
const char *model_order_name(rank_order o);
int model_order_parse(const char *name);

#endif /* SCIPRUNE_MODEL_INT_H */
