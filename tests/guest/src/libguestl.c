/* A shared library that the test root installs only below a -L prefix. */
const char *guestl_name(void)
{
    return "libguestl";
}
