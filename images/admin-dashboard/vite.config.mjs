import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// Served under the ingress path /admin (forwarded as it is): the SPA at /admin/, its API calls at
// /admin/api (server.js proxies them).
export default defineConfig({
  base: '/admin/',
  plugins: [vue()],
  build: { outDir: 'dist', sourcemap: false },
  server: {
    // `npm run dev` against a running server.js (PORT 8080) for the API.
    proxy: { '/admin/api': process.env.ADMIN_API || 'http://127.0.0.1:8080' },
  },
  test: {
    // test/ holds the server's node:test files; Vitest takes the components' tests only.
    include: ['src/**/*.test.js'],
    environment: 'node',
  },
});
