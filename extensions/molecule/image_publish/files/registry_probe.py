"""Read-only checks against the sandbox registry, printing JSON (never the token):

  registry_probe.py <endpoint> resolve <repository> <reference>     -> {"status", "digest", "media_type", "children"}
  registry_probe.py <endpoint> leaks <file> ...                      -> {"leaks": n, "bytes": m}
  registry_probe.py <endpoint> repository <repository>               -> {"scan_on_push", "lifecycle_policy"}
"""

import base64
import json
import sys
import urllib.error
import urllib.request

import boto3


def ecr_client(endpoint):
    return boto3.client("ecr", region_name="us-east-1", endpoint_url=endpoint,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def login(endpoint):
    data = ecr_client(endpoint).get_authorization_token()["authorizationData"][0]
    return data["proxyEndpoint"].rstrip("/"), data["authorizationToken"]


def main():
    endpoint, command = sys.argv[1], sys.argv[2]
    if command == "repository":
        ecr = ecr_client(endpoint)
        repository = ecr.describe_repositories(repositoryNames=[sys.argv[3]])["repositories"][0]
        try:
            policy = json.loads(ecr.get_lifecycle_policy(repositoryName=sys.argv[3])["lifecyclePolicyText"])
        except ecr.exceptions.LifecyclePolicyNotFoundException:
            policy = None
        print(json.dumps({"scan_on_push": repository["imageScanningConfiguration"]["scanOnPush"],
                          "lifecycle_policy": policy}))
        return
    base, token = login(endpoint)
    if command == "resolve":
        repository, reference = sys.argv[3], sys.argv[4]
        request = urllib.request.Request(f"{base}/v2/{repository}/manifests/{reference}", method="GET", headers={
            "Authorization": "Basic " + token,
            "Accept": "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                manifest = json.loads(response.read())
                print(json.dumps({"status": response.status, "digest": response.headers["Docker-Content-Digest"],
                                  "media_type": response.headers["Content-Type"],
                                  "children": [m["digest"] for m in manifest.get("manifests", [])]}))
        except urllib.error.HTTPError as err:
            print(json.dumps({"status": err.code, "digest": None}))
    elif command == "leaks":
        password = base64.b64decode(token).decode().partition(":")[2]
        leaks = total = 0
        for path in sys.argv[3:]:
            text = open(path, encoding="utf-8", errors="replace").read()
            total += len(text)
            leaks += sum(text.count(secret) for secret in (token, password))
        print(json.dumps({"leaks": leaks, "bytes": total}))


if __name__ == "__main__":
    main()
