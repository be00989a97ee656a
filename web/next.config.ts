import type { NextConfig } from 'next'

const config: NextConfig = {
  // The workspace packages ship TypeScript sources (no build step), so Next compiles them with the app.
  transpilePackages: ['@dcmx/deployments', '@dcmx/node'],
  poweredByHeader: false,
  reactStrictMode: true,
}

export default config
