import { exportJobs } from '@/lib/center/http';

export const dynamic = 'force-dynamic';

export const GET = exportJobs;
