/**
 * The portal's 404. Next.js puts the not-found boundary's tree into the RSC payload of every page (once per layout),
 * so it is kept to one line: its default page, with its inline styles, was about 1.5 kB sent twice on every visit.
 */
export default function NotFound() {
  return <p className="p-8 text-xl font-light">404: This page could not be found.</p>;
}
