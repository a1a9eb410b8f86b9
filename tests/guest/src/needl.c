/* needl: a dynamic program whose library is found only through the emulator's -L prefix. */
#include <stdio.h>

const char *guestl_name(void);

int main(void)
{
    printf("needl: %s loaded\n", guestl_name());
    return 0;
}
