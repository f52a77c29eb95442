export default [{ files: ["**/*.js"], languageOptions: { ecmaVersion: 2022, sourceType: "module" },
  rules: { "no-unused-vars": "error", "no-undef": "error", "no-debugger": "warn", "eqeqeq": "warn", "no-self-assign": "error", "semi": "warn" } }];
