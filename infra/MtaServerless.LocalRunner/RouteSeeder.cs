using System.Text.Json;
using Azure.Data.Tables;
using MtaServerless.Core.Routing;

namespace MtaServerless.LocalRunner;

/// <summary>Gives a new local stack its first routes, from a JSON file, only while the routes table is empty.</summary>
public static class RouteSeeder
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <returns>How many routes were written (0 when the table already had rows).</returns>
    public static async Task<int> SeedIfEmptyAsync(TableClient routes, string samplePath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(routes);
        await foreach (var _ in routes.QueryAsync<TableEntity>(maxPerPage: 1, select: ["RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }

        var sample = JsonSerializer.Deserialize<Route[]>(await File.ReadAllTextAsync(samplePath, cancellationToken).ConfigureAwait(false), Json)
            ?? throw new InvalidOperationException($"{samplePath} holds no routes.");
        foreach (var route in sample)
        {
            await routes.UpsertEntityAsync(RouteEntity.FromRoute(route), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        }

        return sample.Length;
    }
}
