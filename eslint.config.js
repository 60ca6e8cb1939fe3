// Lint rules. The layer rules below are the design's import arrows (docs/architecture.md):
// a pure planner, one module that spawns processes, one module that prints (src/report/: no
// console and no process.stdout/stderr.write anywhere else in src/).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Printing is `src/report/`'s: everything else emits events or calls its output functions. */
const noStreamWrites = {
  selector:
    "MemberExpression[object.object.name='process'][object.property.name=/^(stdout|stderr)$/][property.name='write']",
  message:
    "Only src/report/ prints: emit an event, or hand a command's product to report/output.ts.",
};

const noSpawn = {
  // cluster.fork() starts a child process too.
  group: ["node:child_process", "child_process", "node:cluster", "cluster"],
  message: "Only src/sandbox/ spawns processes: call its runner instead.",
};

/** The same for the ways round no-restricted-imports: `import("…")` and `require("…")`. */
const spawnModule = "/^(node:)?(child_process|cluster)$/";
const noDynamicSpawn = [
  {
    selector: `ImportExpression[source.value=${spawnModule}]`,
    message: noSpawn.message,
  },
  {
    selector: `CallExpression[callee.name='require'][arguments.0.value=${spawnModule}]`,
    message: noSpawn.message,
  },
];

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "examples/**", "bench/**/*.js", "scripts/**"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "no-console": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "no-restricted-imports": ["error", { patterns: [noSpawn] }],
      "no-restricted-syntax": ["error", noStreamWrites, ...noDynamicSpawn],
    },
  },
  {
    files: ["src/spec/**/*.ts", "src/plan/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            noSpawn,
            {
              group: [
                "**/exec/**",
                "**/sandbox/**",
                "**/targets/**",
                "**/drivers/**",
                "**/image/**",
                "**/boot/**",
              ],
              message: "spec/ and plan/ are pure: they may not import the effectful layers.",
            },
          ],
        },
      ],
    },
  },
  {
    // The sandbox is the one place that spawns.
    files: ["src/sandbox/**/*.ts"],
    rules: { "no-restricted-imports": "off", "no-restricted-syntax": ["error", noStreamWrites] },
  },
  {
    // Only report/ prints; it spawns nothing either.
    files: ["src/report/**/*.ts"],
    rules: { "no-console": "off", "no-restricted-syntax": ["error", ...noDynamicSpawn] },
  },
  {
    // Tests and benchmarks print what they like, and benchmarks drive peers and QEMU themselves.
    files: ["test/**/*.ts", "bench/**"],
    rules: { "no-console": "off", "no-restricted-syntax": "off" },
  },
  {
    files: ["bench/**"],
    rules: { "no-restricted-imports": "off" },
  },
  {
    files: ["test/**/*.ts"],
    rules: {
      "no-restricted-imports": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
  },
);
