int g(int, int);
int f(int a, int b)
{
  return g(a b);
}
