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

/* learned (analyze/semantic.c's logistic model; score.c applies it): the features in order,
 * as model.json "learned" "weights" names them. */
#define MODEL_LEARNED_NF 7
static const char *const model_learned_names[MODEL_LEARNED_NF] = {
    "distance", "log1p_cluster_size", "parse_error", "undefined_name", "naturalness",
    "log1p_length", "sites"};

/* w . f + b as prune/score.c sums it (the sites term only with a weight: without the signal
 * the 6-feature sum, same bits), as a float: the value a learned step ranks by. */
static inline float model_learned_z(const double *w, double b, const double *f)
{
    double z = b;
    for (int k = 0; k < 6; k++) z += w[k] * f[k];
    if (w[6] != 0) z += w[6] * f[6];
    return (float)z;
}

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
