/* The static guest program that no-binfmt.sh executes from the host: the kernel must refuse it
 * (ENOEXEC). If some binfmt_misc handler runs it anyway, it exits 0 and the check fails. */
int main(void) { return 0; }
