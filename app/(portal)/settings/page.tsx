import { redirect } from 'next/navigation';

/** SETTINGS opens on its first tab. */
export default function SettingsPage() {
  redirect('/settings/users');
}
