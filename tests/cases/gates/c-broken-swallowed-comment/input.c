int f(int a)
{
  int b = 1;  /* the count
  int c = 2;
  /* the rest */
  return a + b + c;
}
