import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import * as fsp from 'node:fs/promises';
import { AzureBackend } from '../backends/AzureBackend';
import { S3Backend } from '../backends/S3Backend';
import type { RemoteSession } from './RemoteSession';

/** `remote add --create`: make the bucket, container or folder when it does not exist. */
export async function createRemoteHome(session: RemoteSession): Promise<void> {
  const b = session.backend;
  await session.run(async () => {
    if (b instanceof S3Backend) {
      const exists = await b.client.send(new HeadBucketCommand({ Bucket: b.bucket })).then(
        () => true,
        (e: { $metadata?: { httpStatusCode?: number } }) => {
          if (e.$metadata?.httpStatusCode === 404) return false;
          throw e;
        },
      );
      if (!exists) await b.client.send(new CreateBucketCommand({ Bucket: b.bucket }));
    } else if (b instanceof AzureBackend) {
      await b.container.createIfNotExists();
    } else if (session.location.kind === 'folder') {
      await fsp.mkdir(session.location.path, { recursive: true });
    }
  });
}
