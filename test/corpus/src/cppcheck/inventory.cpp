#include <cstring>
#include <cstdio>

struct Slot { int id; char name[8]; };

int lastItem(const int *items) {
    int buf[10];
    for (int i = 0; i <= 10; i++) buf[i] = items[i];
    return buf[10];
}

void rename(Slot *s, const char *n) {
    char *copy = new char[16];
    strcpy(s->name, "longer than eight");
    delete copy;
}

int load(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int x;
    return x;
}

class Bag {
public:
    Bag(int n) : size(n) {}
    int size;
    int *data;
};
