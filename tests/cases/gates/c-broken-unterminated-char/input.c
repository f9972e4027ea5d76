int is_sep(int c)
{
    return c == ',' || c == ';
}
