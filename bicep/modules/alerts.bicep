// Log search alerts over Application Insights; the queries are ../monitoring/alerts/*.kql. They notify an existing
// action group, or one made here for an e-mail address; without either they only show in Azure Monitor.

param namePrefix string
param location string
param tags object
param applicationInsightsId string

@description('Resource id of an existing action group; empty for none.')
param actionGroupId string

@description('Where an action group made here sends e-mail, when actionGroupId is empty; empty for none.')
param alertEmail string

@description('How many edge groups are deployed: fewer reporting than this fires the alert.')
param edgeCount int

param bounceRatePercentThreshold int
param deferredBacklogGrowthThreshold int

var createActionGroup = empty(actionGroupId) && !empty(alertEmail)

resource emailGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (createActionGroup) {
  name: '${namePrefix}-alerts'
  // Action groups are global resources.
  location: 'Global'
  tags: tags
  properties: {
    // At most 12 characters: what an SMS or e-mail names as the sender.
    groupShortName: 'mta-alerts'
    enabled: true
    emailReceivers: [
      {
        name: 'operator'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var notifiedGroup = createActionGroup ? emailGroup.id : actionGroupId
var actions = empty(notifiedGroup) ? {} : { actionGroups: [notifiedGroup] }

type alertDefinition = {
  suffix: string
  displayName: string
  description: string
  @minValue(0)
  @maxValue(4)
  severity: int
  query: string
  window: string
  timeAggregation: 'Count' | 'Maximum'
  measureColumn: string?
  dimension: string?
  operator: 'GreaterThan' | 'LessThan'
  threshold: int
}

var definitions alertDefinition[] = [
  {
    suffix: 'poison-queue-not-empty'
    displayName: 'MTA: a poison queue is not empty'
    description: 'A queue message failed maxDequeueCount times and was moved aside: inspect and replay it.'
    severity: 1
    query: loadTextContent('../monitoring/alerts/poison-queue-not-empty.kql')
    window: 'PT15M'
    timeAggregation: 'Maximum'
    measureColumn: 'Depth'
    dimension: 'Queue'
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    suffix: 'bounce-rate'
    displayName: 'MTA: bounce rate over threshold'
    description: 'The share of recipients that bounced or expired in the last hour is over the threshold.'
    severity: 2
    query: loadTextContent('../monitoring/alerts/bounce-rate.kql')
    window: 'PT1H'
    timeAggregation: 'Maximum'
    measureColumn: 'BounceRatePercent'
    operator: 'GreaterThan'
    threshold: bounceRatePercentThreshold
  }
  {
    suffix: 'deferred-backlog-growing'
    displayName: 'MTA: deferred backlog growing'
    description: 'The delivery queue grew across the last hour: next hops are deferring faster than they accept.'
    severity: 2
    query: loadTextContent('../monitoring/alerts/deferred-backlog-growing.kql')
    window: 'PT1H'
    timeAggregation: 'Maximum'
    measureColumn: 'Growth'
    operator: 'GreaterThan'
    threshold: deferredBacklogGrowthThreshold
  }
  {
    suffix: 'edge-not-reporting'
    displayName: 'MTA: an edge is not reporting'
    description: 'Fewer edge container groups exported telemetry in the last 15 minutes than are deployed.'
    severity: 1
    query: loadTextContent('../monitoring/alerts/edge-not-reporting.kql')
    window: 'PT15M'
    timeAggregation: 'Count'
    operator: 'LessThan'
    threshold: edgeCount
  }
]

resource rules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for definition in definitions: {
    name: '${namePrefix}-${definition.suffix}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: definition.displayName
      description: definition.description
      severity: definition.severity
      enabled: true
      scopes: [applicationInsightsId]
      evaluationFrequency: 'PT5M'
      windowSize: definition.window
      autoMitigate: true
      criteria: {
        allOf: [
          {
            query: definition.query
            timeAggregation: definition.timeAggregation
            metricMeasureColumn: definition.?measureColumn
            dimensions: definition.?dimension == null
              ? []
              : [
                  {
                    name: definition.dimension!
                    operator: 'Include'
                    values: ['*']
                  }
                ]
            operator: definition.operator
            threshold: definition.threshold
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      actions: actions
    }
  }
]

output names string[] = [for (definition, i) in definitions: rules[i].name]
output actionGroupId string = notifiedGroup
