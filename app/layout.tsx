import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Backup vault portal', template: '%s - Backup vault portal' },
  description: 'Administer Recovery Services backup vaults.',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="h-dvh bg-white font-sans text-[#1b1b1b] antialiased">{children}</body>
    </html>
  );
}
