import { readFile } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'

/** What the tests ask an etcd member over HTTP: /health, and the gRPC gateway's JSON (/v3/...). */

export function getJson(url: string, ca?: string): Promise<unknown> {
  return requestJson(url, 'GET', undefined, ca)
}

/** etcd's gRPC gateway: a POST of the request as JSON. */
export function postJson(url: string, ca?: string): Promise<unknown> {
  return requestJson(url, 'POST', '{}', ca)
}

async function requestJson(
  url: string,
  method: string,
  body: string | undefined,
  caFile?: string,
): Promise<unknown> {
  const ca = caFile ? await readFile(caFile) : undefined
  return new Promise((resolve, reject) => {
    const request = url.startsWith('https:') ? httpsRequest : httpRequest
    const req = request(url, { method, timeout: 1_000, ...(ca ? { ca } : {}) }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        text += chunk
      })
      res.on('end', () => {
        try {
          resolve(JSON.parse(text))
        } catch (error) {
          reject(error)
        }
      })
    })
    req.on('timeout', () => req.destroy(new Error(`${url} did not answer within 1 s`)))
    req.on('error', reject)
    req.end(body)
  })
}
