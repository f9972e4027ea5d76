#ifndef UTIL_H
#define UTIL_H

#ifdef __GNUC__
#define likely(x) __builtin_expect(!!(x), 1)
#else
#define likely(x) (x)

int clamp(int v, int lo, int hi);

#endif
