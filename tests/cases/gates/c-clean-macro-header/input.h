/* ring_api.h - public interface of a small ring-buffer library */
#ifndef RING_API_H
#define RING_API_H

#include <stddef.h>

#if defined(_WIN32) && defined(RING_BUILD_DLL)
#  define RING_API __declspec(dllexport)
#elif defined(__GNUC__)
#  define RING_API __attribute__((visibility("default")))
#else
#  define RING_API
#endif

#define RING_DEPRECATED(msg) __attribute__((deprecated(msg)))
#define RING_BEGIN_DECLS \
    extern "C" {
#define RING_END_DECLS }

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ring ring;

RING_API ring *ring_new(size_t cap);
RING_API void ring_free(ring *r);
RING_API int ring_push(ring *r, const void *item, size_t len) RING_DEPRECATED("use ring_put");
RING_API size_t ring_len(const ring *r);

#ifdef __cplusplus
}
#endif

#endif /* RING_API_H */
