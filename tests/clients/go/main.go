// The Go clients of the client suites: one JSON request per line on stdin, one JSON answer per
// line on stdout. The presigners of the presigner matrix (tests/clients/python/
// test_presigner_matrix.py; fields in tests/clients/js/presign-driver.js): "go-v2" (aws-sdk-go-v2
// s3.NewPresignClient: PresignGetObject, PresignPutObject, PresignPostObject) and "minio-go"
// (PresignedGetObject, PresignedPutObject, PresignHeader, PresignedPostPolicy). And "cos-go", the
// Tencent COS Go SDK, for tests/clients/python/test_cos_sdks.py (see cosGo).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/tencentyun/cos-go-sdk-v5"
)

const (
	accessKey = "AKIAIOSFODNN7EXAMPLE"
	secretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

type request struct {
	SDK                 string            `json:"sdk"`
	Connect             string            `json:"connect"`
	Host                string            `json:"host"`
	Body                string            `json:"body"`
	Meta                map[string]string `json:"meta"`
	SecretID            string            `json:"secret_id"`
	SecretKey           string            `json:"secret_key"`
	Op                  string            `json:"op"`
	Endpoint            string            `json:"endpoint"`
	Region              string            `json:"region"`
	Bucket              string            `json:"bucket"`
	Key                 string            `json:"key"`
	Expires             int               `json:"expires"`
	ContentType         string            `json:"content_type"`
	ResponseContentType string            `json:"response_content_type"`
	Style               string            `json:"style"`
}

type answer struct {
	Status      int               `json:"status,omitempty"`
	Body        string            `json:"body,omitempty"`
	Code        string            `json:"code,omitempty"`
	Message     string            `json:"message,omitempty"`
	RequestID   string            `json:"request_id,omitempty"`
	URL         string            `json:"url,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	Fields      map[string]string `json:"fields,omitempty"`
	Unsupported string            `json:"unsupported,omitempty"`
	Error       string            `json:"error,omitempty"`
}

func headersOf(h http.Header) map[string]string {
	out := map[string]string{}
	for name, values := range h {
		if http.CanonicalHeaderKey(name) != "Host" && len(values) > 0 {
			out[name] = values[0]
		}
	}
	return out
}

func goV2(ctx context.Context, r request) (answer, error) {
	cfg := aws.Config{Region: r.Region, Credentials: awscreds.NewStaticCredentialsProvider(accessKey, secretKey, "")}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(r.Endpoint)
		o.UsePathStyle = r.Style == "path"
	})
	presigner := s3.NewPresignClient(client)
	expires := s3.WithPresignExpires(time.Duration(r.Expires) * time.Second)
	switch r.Op {
	case "get":
		in := &s3.GetObjectInput{Bucket: aws.String(r.Bucket), Key: aws.String(r.Key)}
		if r.ResponseContentType != "" {
			in.ResponseContentType = aws.String(r.ResponseContentType)
		}
		p, err := presigner.PresignGetObject(ctx, in, expires)
		if err != nil {
			return answer{}, err
		}
		return answer{URL: p.URL, Headers: headersOf(p.SignedHeader)}, nil
	case "put":
		in := &s3.PutObjectInput{Bucket: aws.String(r.Bucket), Key: aws.String(r.Key)}
		if r.ContentType != "" {
			in.ContentType = aws.String(r.ContentType)
		}
		p, err := presigner.PresignPutObject(ctx, in, expires)
		if err != nil {
			return answer{}, err
		}
		return answer{URL: p.URL, Headers: headersOf(p.SignedHeader)}, nil
	default:
		in := &s3.PutObjectInput{Bucket: aws.String(r.Bucket), Key: aws.String(r.Key)}
		p, err := presigner.PresignPostObject(ctx, in, func(o *s3.PresignPostOptions) {
			o.Expires = time.Duration(r.Expires) * time.Second
			if r.ContentType != "" {
				o.Conditions = []interface{}{[]interface{}{"eq", "$Content-Type", r.ContentType}}
			}
		})
		if err != nil {
			return answer{}, err
		}
		fields := map[string]string{}
		for k, v := range p.Values {
			fields[k] = v
		}
		if r.ContentType != "" {
			fields["Content-Type"] = r.ContentType
		}
		return answer{URL: p.URL, Fields: fields}, nil
	}
}

func minioGo(ctx context.Context, r request) (answer, error) {
	u, err := url.Parse(r.Endpoint)
	if err != nil {
		return answer{}, err
	}
	lookup := minio.BucketLookupPath
	if r.Style == "virtual" {
		lookup = minio.BucketLookupDNS
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds: miniocreds.NewStaticV4(accessKey, secretKey, ""), Secure: false, Region: r.Region, BucketLookup: lookup,
	})
	if err != nil {
		return answer{}, err
	}
	expires := time.Duration(r.Expires) * time.Second
	switch r.Op {
	case "get":
		params := url.Values{}
		if r.ResponseContentType != "" {
			params.Set("response-content-type", r.ResponseContentType)
		}
		signed, err := client.PresignedGetObject(ctx, r.Bucket, r.Key, expires, params)
		if err != nil {
			return answer{}, err
		}
		return answer{URL: signed.String()}, nil
	case "put":
		if r.ContentType == "" {
			signed, err := client.PresignedPutObject(ctx, r.Bucket, r.Key, expires)
			if err != nil {
				return answer{}, err
			}
			return answer{URL: signed.String()}, nil
		}
		// PresignedPutObject signs no headers; PresignHeader signs the ones given.
		headers := http.Header{"Content-Type": []string{r.ContentType}}
		signed, err := client.PresignHeader(ctx, http.MethodPut, r.Bucket, r.Key, expires, nil, headers)
		if err != nil {
			return answer{}, err
		}
		return answer{URL: signed.String(), Headers: map[string]string{"content-type": r.ContentType}}, nil
	default:
		policy := minio.NewPostPolicy()
		if err := policy.SetBucket(r.Bucket); err != nil {
			return answer{}, err
		}
		if err := policy.SetKey(r.Key); err != nil {
			return answer{}, err
		}
		if err := policy.SetExpires(time.Now().UTC().Add(expires)); err != nil {
			return answer{}, err
		}
		if r.ContentType != "" {
			if err := policy.SetContentType(r.ContentType); err != nil {
				return answer{}, err
			}
		}
		signed, fields, err := client.PresignedPostPolicy(ctx, policy)
		if err != nil {
			return answer{}, err
		}
		return answer{URL: signed.String(), Fields: fields}, nil
	}
}

func main() {
	ctx := context.Background()
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var r request
		var a answer
		var err error
		if err = json.Unmarshal(in.Bytes(), &r); err == nil {
			switch r.SDK {
			case "go-v2":
				a, err = goV2(ctx, r)
			case "minio-go":
				a, err = minioGo(ctx, r)
			case "cos-go":
				a, err = cosGo(ctx, r)
			default:
				err = fmt.Errorf("unknown sdk %q", r.SDK)
			}
		}
		if err != nil {
			a = answer{Error: err.Error()}
		}
		if err := out.Encode(a); err != nil {
			os.Exit(1)
		}
	}
}

// cosGo drives the COS Go SDK against the bucket URL http://HOST, connecting to CONNECT (the
// bucket's host name does not resolve): ops put, get, head, delete (Authorization header) and
// presign-get, presign-put. Service errors come back as status, code, message and request id.
func cosGo(ctx context.Context, r request) (answer, error) {
	bucketURL, err := url.Parse("http://" + r.Host)
	if err != nil {
		return answer{}, err
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	transport := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, r.Connect)
	}}
	client := cos.NewClient(&cos.BaseURL{BucketURL: bucketURL}, &http.Client{
		Transport: &cos.AuthorizationTransport{SecretID: r.SecretID, SecretKey: r.SecretKey, Transport: transport},
	})
	var resp *cos.Response
	switch r.Op {
	case "put":
		headers := &cos.ObjectPutHeaderOptions{ContentType: r.ContentType}
		if len(r.Meta) > 0 {
			meta := http.Header{}
			for k, v := range r.Meta {
				meta.Set("x-cos-meta-"+k, v)
			}
			headers.XCosMetaXXX = &meta
		}
		resp, err = client.Object.Put(ctx, r.Key, strings.NewReader(r.Body), &cos.ObjectPutOptions{ObjectPutHeaderOptions: headers})
	case "get":
		resp, err = client.Object.Get(ctx, r.Key, nil)
	case "head":
		resp, err = client.Object.Head(ctx, r.Key, nil)
	case "delete":
		resp, err = client.Object.Delete(ctx, r.Key)
	case "presign-get", "presign-put":
		method := http.MethodGet
		if r.Op == "presign-put" {
			method = http.MethodPut
		}
		signed, err := client.Object.GetPresignedURL(ctx, method, r.Key, r.SecretID, r.SecretKey, time.Duration(r.Expires)*time.Second, nil)
		if err != nil {
			return answer{}, err
		}
		return answer{URL: signed.String()}, nil
	default:
		return answer{}, fmt.Errorf("unknown op %q", r.Op)
	}
	if err != nil {
		if e, ok := cos.IsCOSError(err); ok {
			return answer{Status: e.Response.StatusCode, Code: e.Code, Message: e.Message, RequestID: e.RequestID}, nil
		}
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	headers := map[string]string{}
	for k, v := range resp.Header {
		headers[strings.ToLower(k)] = v[0]
	}
	return answer{Status: resp.StatusCode, Body: string(body), Headers: headers}, nil
}
