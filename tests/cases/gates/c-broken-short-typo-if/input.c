int f(int a)
{
  fi (a > 1)
    return 1;
  return 0;
}
