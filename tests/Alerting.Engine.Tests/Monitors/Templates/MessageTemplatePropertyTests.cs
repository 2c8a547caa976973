using Alerting.Engine.Monitors.Templates;
using CsCheck;

namespace Alerting.Engine.Tests.Monitors.Templates;

/// <summary>
/// Random valid templates parse and render as a naive recursive model says. CsCheck prints the
/// failing seed; replay it with <c>Sample(..., seed: "...")</c> or the <c>CsCheck_Seed</c> environment variable.
/// </summary>
public sealed class MessageTemplatePropertyTests
{
    private const int Iterations = 3_000;

    [Fact]
    public void A_template_written_from_valid_parts_parses_and_renders_as_the_model_says() =>
        Gen.Select(TemplateGenerators.Template, TemplateGenerators.Context).Sample(
            (parts, context) =>
            {
                string text = TemplateGenerators.Write(parts);
                Assert.True(MessageTemplate.TryParse(text, out MessageTemplate? template, out TemplateParseError? error), error?.Message);
                Assert.Equal(TemplateGenerators.Expected(parts, context), template.Render(context));
            },
            iter: Iterations,
            threads: 1,
            print: sample => $"template \"{TemplateGenerators.Write(sample.Item1)}\" with {TemplateGenerators.Describe(sample.Item2)}");

    [Fact]
    public void Rendering_depends_only_on_the_template_and_the_context() =>
        Gen.Select(TemplateGenerators.Template, TemplateGenerators.Context).Sample(
            (parts, context) =>
            {
                string text = TemplateGenerators.Write(parts);
                string first = MessageTemplate.Parse(text).Render(context);
                Assert.Equal(first, MessageTemplate.Parse(text).Render(context));
            },
            iter: Iterations / 3,
            threads: 1,
            print: sample => $"template \"{TemplateGenerators.Write(sample.Item1)}\" with {TemplateGenerators.Describe(sample.Item2)}");
}
