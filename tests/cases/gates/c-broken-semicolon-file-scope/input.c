static int a = 1
static int b;
