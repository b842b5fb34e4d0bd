// The Java clients of the client suites: one JSON request per line on stdin, one JSON answer per
// line on stdout. "java-v2": the AWS SDK for Java 2.x S3Presigner (presignGetObject,
// presignPutObject; it has no POST presigner) for the presigner matrix
// (tests/clients/python/test_presigner_matrix.py; fields in tests/clients/js/presign-driver.js).
// "cos-java": the Tencent COS Java SDK for tests/clients/python/test_cos_sdks.py (see cosJava).

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.qcloud.cos.COSClient;
import com.qcloud.cos.ClientConfig;
import com.qcloud.cos.auth.BasicCOSCredentials;
import com.qcloud.cos.endpoint.EndpointBuilder;
import com.qcloud.cos.endpoint.EndpointResolver;
import com.qcloud.cos.exception.CosServiceException;
import com.qcloud.cos.http.HttpMethodName;
import com.qcloud.cos.http.HttpProtocol;
import com.qcloud.cos.model.COSObject;
import com.qcloud.cos.model.ObjectMetadata;
import com.qcloud.cos.model.PutObjectRequest;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.util.Date;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.presigner.PresignedRequest;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;

import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.s3.presigner.model.GetObjectPresignRequest;
import software.amazon.awssdk.services.s3.presigner.model.PutObjectPresignRequest;

public final class Presign {
    static final String ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE";
    static final String SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    static final ObjectMapper JSON = new ObjectMapper();

    static String text(JsonNode r, String name) {
        JsonNode v = r.get(name);
        return v == null || v.isNull() ? null : v.asText();
    }

    static ObjectNode answer(PresignedRequest p) {
        ObjectNode out = JSON.createObjectNode();
        out.put("url", p.url().toString());
        ObjectNode headers = out.putObject("headers");
        for (Map.Entry<String, List<String>> h : p.signedHeaders().entrySet()) {
            if (!h.getKey().equalsIgnoreCase("host") && !h.getValue().isEmpty()) {
                headers.put(h.getKey(), h.getValue().get(0));
            }
        }
        return out;
    }

    static ObjectNode javaV2(JsonNode r) {
        Duration expires = Duration.ofSeconds(r.get("expires").asLong());
        try (S3Presigner presigner = S3Presigner.builder()
                .region(Region.of(text(r, "region")))
                .endpointOverride(URI.create(text(r, "endpoint")))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled("path".equals(text(r, "style"))).build())
                .build()) {
            String bucket = text(r, "bucket");
            String key = text(r, "key");
            switch (text(r, "op")) {
                case "get": {
                    GetObjectRequest.Builder get = GetObjectRequest.builder().bucket(bucket).key(key);
                    if (text(r, "response_content_type") != null) {
                        get.responseContentType(text(r, "response_content_type"));
                    }
                    return answer(presigner.presignGetObject(GetObjectPresignRequest.builder()
                            .signatureDuration(expires).getObjectRequest(get.build()).build()));
                }
                case "put": {
                    software.amazon.awssdk.services.s3.model.PutObjectRequest.Builder put = software.amazon.awssdk.services.s3.model.PutObjectRequest.builder().bucket(bucket).key(key);
                    if (text(r, "content_type") != null) {
                        put.contentType(text(r, "content_type"));
                    }
                    return answer(presigner.presignPutObject(PutObjectPresignRequest.builder()
                            .signatureDuration(expires).putObjectRequest(put.build()).build()));
                }
                default: {
                    ObjectNode out = JSON.createObjectNode();
                    out.put("unsupported", "the SDK has no POST presigner");
                    return out;
                }
            }
        }
    }

    /**
     * Drives the COS Java SDK: the Host is the bucket's COS-style name (`host`), the connection
     * goes to `connect` (that name does not resolve). Ops put, get, head, delete (Authorization
     * header) and presign-get, presign-put; service errors come back as status, code, message
     * and request id.
     */
    static ObjectNode cosJava(JsonNode r) throws Exception {
        String host = text(r, "host");
        String connect = text(r, "connect");
        ClientConfig config = new ClientConfig(new com.qcloud.cos.region.Region("ap-guangzhou"));
        config.setHttpProtocol(HttpProtocol.http);
        config.setMaxErrorRetry(0);
        config.setEndpointBuilder(new EndpointBuilder() {
            public String buildGeneralApiEndpoint(String bucketName) {
                return host;
            }

            public String buildGetServiceApiEndpoint() {
                return host.substring(host.indexOf('.') + 1);
            }
        });
        config.setEndpointResolver(new EndpointResolver() {
            public String resolveGeneralApiEndpoint(String endpoint) {
                return connect;
            }

            public String resolveGetServiceApiEndpoint(String endpoint) {
                return connect;
            }
        });
        COSClient client = new COSClient(new BasicCOSCredentials(text(r, "secret_id"), text(r, "secret_key")), config);
        ObjectNode out = JSON.createObjectNode();
        String bucket = text(r, "bucket");
        String key = text(r, "key");
        try {
            switch (text(r, "op")) {
                case "put": {
                    byte[] body = text(r, "body").getBytes(StandardCharsets.UTF_8);
                    ObjectMetadata meta = new ObjectMetadata();
                    meta.setContentLength(body.length);
                    if (text(r, "content_type") != null) {
                        meta.setContentType(text(r, "content_type"));
                    }
                    JsonNode user = r.get("meta");
                    if (user != null) {
                        user.fields().forEachRemaining(e -> meta.addUserMetadata(e.getKey(), e.getValue().asText()));
                    }
                    client.putObject(new PutObjectRequest(bucket, key, new ByteArrayInputStream(body), meta));
                    out.put("status", 200);
                    break;
                }
                case "get": {
                    try (COSObject object = client.getObject(bucket, key)) {
                        out.put("status", 200);
                        out.put("body", new String(object.getObjectContent().readAllBytes(), StandardCharsets.UTF_8));
                    }
                    break;
                }
                case "head": {
                    ObjectMetadata meta = client.getObjectMetadata(bucket, key);
                    out.put("status", 200);
                    ObjectNode headers = out.putObject("headers");
                    headers.put("content-type", meta.getContentType());
                    meta.getUserMetadata().forEach((k, v) -> headers.put("x-cos-meta-" + k, v));
                    break;
                }
                case "delete":
                    client.deleteObject(bucket, key);
                    out.put("status", 204);
                    break;
                default: {
                    HttpMethodName method = "presign-put".equals(text(r, "op")) ? HttpMethodName.PUT : HttpMethodName.GET;
                    Date expiry = new Date(System.currentTimeMillis() + r.get("expires").asLong() * 1000);
                    out.put("url", client.generatePresignedUrl(bucket, key, expiry, method).toString());
                }
            }
        } catch (CosServiceException e) {
            out.put("status", e.getStatusCode());
            out.put("code", e.getErrorCode());
            out.put("message", e.getErrorMessage());
            out.put("request_id", e.getRequestId());
        } finally {
            client.shutdown();
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            ObjectNode out;
            try {
                JsonNode r = JSON.readTree(line);
                if ("java-v2".equals(text(r, "sdk"))) {
                    out = javaV2(r);
                } else if ("cos-java".equals(text(r, "sdk"))) {
                    out = cosJava(r);
                } else {
                    throw new IllegalArgumentException("unknown sdk " + text(r, "sdk"));
                }
            } catch (Exception e) {
                out = JSON.createObjectNode();
                out.put("error", e.toString());
            }
            System.out.println(JSON.writeValueAsString(out));
            System.out.flush();
        }
    }
}
