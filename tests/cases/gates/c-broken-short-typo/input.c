nit main(void)
{
  return 0;
}
