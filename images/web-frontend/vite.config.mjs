import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Served at the ingress root: the SPA at /, its API calls under /shop/api (server.js proxies them).
export default defineConfig({
  base: '/',
  plugins: [react()],
  build: { outDir: 'dist', sourcemap: false },
  server: {
    // `npm run dev` against a running server.js (PORT 8080) for the API.
    proxy: { '/shop/api': process.env.SHOP_API || 'http://127.0.0.1:8080' },
  },
  test: {
    // test/ holds the server's node:test files; Vitest takes the components' tests only.
    include: ['src/**/*.test.{js,jsx}'],
    environment: 'node',
  },
});
