/* macro-heavy C that gcc accepts given the macros (ZEXPORT, TEST_IMPL, ASSERT, Py_*_THREADS; __builtin_available is clang's): no token-pair, semicolon or character rule may fire */
#include <inttypes.h>
#include <stdio.h>
#define tDAYZONE -60
#define TESTONLY(X) X
#define str(x) #x
#define deliberate_fall_through
#define ParseCTX_PARAM , ctx
typedef struct { const char *name; int off; } zone;
static const zone zones[] = {
  {"BST", 0 tDAYZONE},
  {"UTC", 0},
#ifdef LEGACY
  {"WET", 0},
#endif
  {NULL, 0}
};
static int
reduce(int a, int b, int ctx)
{
  return a + b + ctx;
}
int ZEXPORT gzbuffer(file, size)
    void *file;
    unsigned size;
{
    return file != NULL && size > 0;
}
TEST_IMPL(env_vars) {
  int rc = 0, ctx = 1;
  TESTONLY( rc = ) reduce(1, 2, 3);
  TESTONLY( rc |= ) reduce(1, 2, 3);
  printf("%" PRIu64 " bytes " str(x) "s\n", (uint64_t)rc);
  printf("%s", __func__);
  rc = reduce(1, 2 ParseCTX_PARAM);
  switch (rc) {
    case 1:
      rc = 2;
      deliberate_fall_through
    default:
      break;
  }
  zone z = (zone){ "x", 1 };
  if (__builtin_available(macOS 10.12, iOS 10, *))
    rc = 3;
  Py_BEGIN_ALLOW_THREADS
  rc++;
  Py_END_ALLOW_THREADS
  return z.off + rc;
}
#if DCTSIZE != 8
  Sorry, this code only copes with 8x8 DCTs. /* deliberate syntax err */
#endif
wchar_t *w = L"wide";
