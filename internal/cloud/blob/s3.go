package blob

import (
	"context"
	"fmt"
	"io"
	"mime"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// PartSize is the multipart chunk: memory per upload is about
// PartSize*Concurrency, whatever the file size.
const PartSize = 8 << 20

// S3 stores objects in one bucket under a prefix.
type S3 struct {
	Client *s3.Client
	Bucket string
	Prefix string
	// SSE is the server-side encryption: "AES256" (default) or "aws:kms".
	SSE string

	uploader *manager.Uploader
	presign  *s3.PresignClient
}

var _ Store = (*S3)(nil)

// NewS3 returns the store. The uploader sends files larger than PartSize as
// multipart uploads, two parts in flight.
func NewS3(c *s3.Client, bucket, prefix string) *S3 {
	return &S3{Client: c, Bucket: bucket, Prefix: prefix, SSE: string(types.ServerSideEncryptionAes256),
		uploader: manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = PartSize; u.Concurrency = 2 }),
		presign:  s3.NewPresignClient(c)}
}

// Put uploads r.
func (s *S3) Put(ctx context.Context, obj Object, r io.Reader) (int64, error) {
	cr := &countingReader{r: r}
	_, err := s.uploader.Upload(ctx, &s3.PutObjectInput{
		Bucket:               aws.String(s.Bucket),
		Key:                  aws.String(s.Prefix + obj.Key),
		Body:                 cr,
		ContentType:          aws.String(obj.ContentType),
		ServerSideEncryption: types.ServerSideEncryption(s.SSE),
	})
	if err != nil {
		return 0, fmt.Errorf("blob: s3 upload %s: %w", obj.Key, err)
	}
	return cr.n, nil
}

// URL presigns a GET that saves the file under its name.
func (s *S3) URL(ctx context.Context, obj Object, ttl time.Duration) (string, error) {
	req, err := s.presign.PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket:                     aws.String(s.Bucket),
		Key:                        aws.String(s.Prefix + obj.Key),
		ResponseContentDisposition: aws.String(mime.FormatMediaType("attachment", map[string]string{"filename": obj.Filename})),
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("blob: presign %s: %w", obj.Key, err)
	}
	return req.URL, nil
}
