from guidesrc.cli import main

main()
