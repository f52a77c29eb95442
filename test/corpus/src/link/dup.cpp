int helper() { return 2; }
