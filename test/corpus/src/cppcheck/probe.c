#include <stdlib.h>
#include <string.h>
#include "missing_header.h"

int deref(void) {
    int *p = NULL;
    return *p;
}

int maybe(int *q, int c) {
    if (c) q = NULL;
    return *q;
}

int bounds(void) {
    int a[4];
    a[4] = 1;
    return a[0];
}

int leak(void) {
    char *m = malloc(10);
    if (!m) return 0;
    strcpy(m, "x");
    return 1;
}

int divz(int x) {
    int d = 0;
    return x / d;
}

void style(int v) {
    int unused = v;
    if (v == v) {}
}
