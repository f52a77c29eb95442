int missing_fn();
int helper() { return 1; }
int main() { return missing_fn() + helper(); }
