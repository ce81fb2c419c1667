// Log verbosity, chosen with `loglevel=` on the command line.
namespace Bootstage.Kernel.Console
{
    internal enum LogLevel
    {
        Debug = 0,
        Info = 1,
        Warn = 2,
        Error = 3,
    }
}
