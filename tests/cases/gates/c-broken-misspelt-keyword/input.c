#include <string.h>
#define API_EXPORT

API_EXPORT size_t count_char(cosnt char *s, char c)
{
    size_t n = 0;
    for (; *s; s++)
        if (*s == c)
            n++;
    return n;
}
