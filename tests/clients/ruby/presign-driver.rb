# The AWS SDK for Ruby (Debian's ruby-aws-sdk-s3) as a presigner of the presigner matrix
# (tests/clients/python/test_presigner_matrix.py): one JSON request per line on stdin, one JSON
# answer per line on stdout; see tests/clients/js/presign-driver.js for the fields.
require "json"
require "aws-sdk-s3"

CREDENTIALS = Aws::Credentials.new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")

def presign(r)
  client = Aws::S3::Client.new(endpoint: r["endpoint"], region: r["region"], credentials: CREDENTIALS,
                               force_path_style: r["style"] == "path")
  if r["op"] == "post"
    bucket = Aws::S3::Bucket.new(r["bucket"], client: client)
    options = { key: r["key"], signature_expiration: Time.now + r["expires"] }
    options[:content_type] = r["content_type"] if r["content_type"]
    post = bucket.presigned_post(options)
    return { url: post.url, fields: post.fields }
  end
  params = { bucket: r["bucket"], key: r["key"], expires_in: r["expires"] }
  params[:content_type] = r["content_type"] if r["content_type"]
  params[:response_content_type] = r["response_content_type"] if r["response_content_type"]
  op = r["op"] == "put" ? :put_object : :get_object
  url = Aws::S3::Presigner.new(client: client).presigned_url(op, **params)
  { url: url, headers: r["content_type"] ? { "content-type" => r["content_type"] } : {} }
end

$stdout.sync = true
$stdin.each_line do |line|
  answer = begin
    presign(JSON.parse(line))
  rescue StandardError => e
    { error: "#{e.class}: #{e.message}" }
  end
  puts JSON.generate(answer)
end
