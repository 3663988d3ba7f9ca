import { emulatorControl } from '@/lib/emulator/http';

export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ route: string[] }> };

/** The emulator's control API, reached as /_emulator/... (scripts/serve.ts hands it here; lib/emulator/http.ts). */
const handle = async (request: Request, { params }: Context) => emulatorControl(request, (await params).route);

export const GET = handle;
export const POST = handle;
export const PUT = handle;
export const DELETE = handle;
