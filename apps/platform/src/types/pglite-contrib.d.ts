// PGlite publishes its contrib extensions' types for ESM only, which TypeScript's "node"
// resolution of this CommonJS build cannot see; at run time require() finds the .cjs build.
declare module '@electric-sql/pglite/contrib/btree_gist' {
  export const btree_gist: import('@electric-sql/pglite').Extension;
}
