/*
 * probe: report how this process was started.
 * Prints the architecture it was compiled for, argc/argv (escaped),
 * readlink("/proc/self/exe") (or the errno name) and the sorted environment.
 * It never looks at its own arguments, so any argv can be checked exactly.
 */
#include "report.h"

int main(int argc, char **argv)
{
    report_process(argc, argv);
    return 0;
}
