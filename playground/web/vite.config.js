import { defineConfig } from 'vite';

// base './': the playground works under any path prefix (/, /graphiql/, a proxy's sub-path).
export default defineConfig({
  base: './',
  logLevel: 'warn',
  build: {
    outDir: '../dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 8000,
    rollupOptions: {
      onwarn(warning, warn) {
        // React libraries' "use client" lines mean nothing in a static bundle.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
});
