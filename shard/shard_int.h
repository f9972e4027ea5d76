/* shard_int.h - internals shared by the files of shard/. */
#ifndef SCIPRUNE_SHARD_INT_H
#define SCIPRUNE_SHARD_INT_H

#include "sp_common.h"

#endif /* SCIPRUNE_SHARD_INT_H */
