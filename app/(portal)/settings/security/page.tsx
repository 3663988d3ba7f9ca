import type { Metadata } from 'next';
import { PageTitle } from '@/components/page-title';
import { TwoStepSettings } from '@/components/settings/two-step';
import { requireUser } from '@/lib/auth/guard';
import { setupQrCodeSvg, twoStepStatus } from '@/lib/auth/two-step';
import { resolveAuthSecret } from '@/lib/secrets';
import { getServices } from '@/lib/services';

export const metadata: Metadata = { title: 'Security' };

export default async function SecurityPage() {
  const user = await requireUser();
  const svc = await getServices();
  const status = await twoStepStatus(svc.db, resolveAuthSecret(svc.env), user);
  const qrSvg = status.pending ? await setupQrCodeSvg(status.pending.uri) : null;
  return (
    <>
      <PageTitle>security</PageTitle>
      <div className="px-8 pb-8">
        <TwoStepSettings
          view={{
            enabledAt: status.enabledAt ? `${status.enabledAt.toISOString().slice(0, 16).replace('T', ' ')} UTC` : null,
            recoveryCodesLeft: status.recoveryCodesLeft,
            pending:
              status.pending && qrSvg
                ? {
                    secret: status.pending.secret,
                    qrCode: `data:image/svg+xml;base64,${Buffer.from(qrSvg).toString('base64')}`,
                  }
                : null,
          }}
        />
      </div>
    </>
  );
}
