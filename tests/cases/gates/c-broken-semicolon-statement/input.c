int f(int *x)
{
  ASSERT(x != 0);
  perror(NULL)
  return 0;
}
