#include <stdio.h>
#include "config.h

int main(void)
{
    return 0;
}
