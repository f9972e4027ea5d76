static void *p;
void f(void)
{
  if (p) {
    free(p)
  }
}
