int f(int a, int b)
{
  a = a + ;
  return b;
}
