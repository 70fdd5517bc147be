// The operations workbook over Application Insights. Its queries live in ../monitoring/queries as
// plain KQL so that the tests (and people) can read them; the telemetry they assume is declared in
// ../monitoring/telemetry.json.

param name string
param displayName string
param location string
param tags object
param applicationInsightsId string

func textItem(markdown string) object => {
  type: 1
  content: {
    json: markdown
  }
}

func queryItem(title string, query string, visualization string) object => {
  type: 3
  content: {
    version: 'KqlItem/1.0'
    title: title
    query: query
    size: 0
    queryType: 0
    resourceType: 'microsoft.insights/components'
    visualization: visualization
    timeContext: {
      durationMs: 86400000
    }
    timeContextFromParameter: 'TimeRange'
  }
}

var timeRange = {
  type: 9
  content: {
    version: 'KqlParameterItem/1.0'
    parameters: [
      {
        id: 'time-range'
        version: 'KqlParameterItem/1.0'
        name: 'TimeRange'
        type: 4
        isRequired: true
        value: {
          durationMs: 86400000
        }
        typeSettings: {
          allowCustom: true
          selectableValues: [
            { durationMs: 3600000 }
            { durationMs: 14400000 }
            { durationMs: 86400000 }
            { durationMs: 259200000 }
            { durationMs: 604800000 }
          ]
        }
      }
    ]
  }
}

var content = {
  version: 'Notebook/1.0'
  items: [
    textItem('## Mail flow\nAccepted messages at the edge; delivered, deferred, bounced and expired recipients in the pipeline.')
    timeRange
    queryItem('Accepted, delivered, deferred, bounced, expired and re-driven', loadTextContent('../monitoring/queries/outcomes-over-time.kql'), 'timechart')
    queryItem('Delivery latency since acceptance (seconds): p50, p90, p99', loadTextContent('../monitoring/queries/delivery-latency.kql'), 'timechart')
    queryItem('Top failing remote hosts and replies', loadTextContent('../monitoring/queries/failing-remote-hosts.kql'), 'table')
    textItem('## Mail authentication\nMail from elsewhere by From domain: SPF, DKIM and DMARC results, and what routes with DmarcPolicy enforce quarantined. A domain of yours failing here has a sender its SPF or DKIM records miss.')
    queryItem('Authentication results by From domain', loadTextContent('../monitoring/queries/authentication-by-domain.kql'), 'table')
    textItem('## Queues\nDepth counts messages waiting for a retry too; the oldest age shows a stuck queue.')
    queryItem('Queue depth', loadTextContent('../monitoring/queries/queue-depth.kql'), 'timechart')
    queryItem('Oldest message age (minutes)', loadTextContent('../monitoring/queries/queue-oldest-age.kql'), 'timechart')
    textItem('## Abuse\nClients throttled after failed logins (an account under attack from many addresses shows as scope account), and logins refused by their sending limits: a stolen password shows here first.')
    queryItem('Throttled logins and sending limits reached', loadTextContent('../monitoring/queries/abuse-signals.kql'), 'table')
  ]
  fallbackResourceIds: [applicationInsightsId]
  '$schema': 'https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json'
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: name
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: applicationInsightsId
    serializedData: string(content)
  }
}

output id string = workbook.id
