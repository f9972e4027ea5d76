/* tree-sitter reads `retrun n;` as a declaration of n with type retrun: no parse error */
#define MAX_ITEMS 16

int clamp_items(int n)
{
    if (n > MAX_ITEMS)
        n = MAX_ITEMS;
    retrun n;
}
