'use client';

export function Notifications() {
  return (
    <section aria-label="Notifications" className="bg-portal-black text-white">
      <p className="sr-only">No notifications.</p>
    </section>
  );
}
