/* SPDX-License-Identifier: MIT */
/* main.c: idlc's process entry point; everything else is in idlc_main. */
#include "idlc.h"

int main(int argc, char **argv) {
    return idlc_main(argc, argv, stdout, stderr);
}
