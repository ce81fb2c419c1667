// The kernel log: leveled human lines ("info: ...") and machine-readable milestone lines
// ("@milestone name=cpu hv=none") that tests and boot automation grep for. Milestones are printed
// at every log level.
namespace Bootstage.Kernel.Console
{
    internal static class Log
    {
        private static LogLevel s_level = LogLevel.Info;

        internal static LogLevel Level
        {
            get => s_level;
            set => s_level = value;
        }

        internal static bool IsEnabled(LogLevel level) => level >= s_level;

        internal static LogLine Begin(LogLevel level)
        {
            LogLine line = new LogLine(IsEnabled(level));
            switch (level)
            {
                case LogLevel.Debug:
                    return line.Text("debug: ");
                case LogLevel.Info:
                    return line.Text("info: ");
                case LogLevel.Warn:
                    return line.Text("warn: ");
                default:
                    return line.Text("error: ");
            }
        }

        internal static void Debug(string text) => Begin(LogLevel.Debug).Text(text).End();

        internal static void Info(string text) => Begin(LogLevel.Info).Text(text).End();

        internal static void Warn(string text) => Begin(LogLevel.Warn).Text(text).End();

        internal static void Error(string text) => Begin(LogLevel.Error).Text(text).End();

        /// <summary>Starts "@milestone name=&lt;name&gt;"; add " key=value" pieces and End().</summary>
        internal static LogLine Milestone(string name) => new LogLine(true).Text("@milestone name=").Text(name);

        /// <summary>A line with no prefix at all (banners, self-test summaries).</summary>
        internal static LogLine Plain() => new LogLine(true);
    }
}
